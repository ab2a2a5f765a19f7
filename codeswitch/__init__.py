"""codeswitch: an AI coding language server that routes each request to the model that fits."""
__version__ = "0.1.0"
