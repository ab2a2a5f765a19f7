from codeswitch.cli import main

raise SystemExit(main())
