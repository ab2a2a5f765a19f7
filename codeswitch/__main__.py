from codeswitch.cli import run

run()
