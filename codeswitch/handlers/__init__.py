"""LSP handlers: one module per area, each translating LSP <-> plain data for one stage.

Every handler takes ``(ls, params)`` where ``ls`` is the :class:`codeswitch.server.CodeswitchServer`
(its shared state is ``ls.state``) and is registered by one row of ``server.FEATURES``; the
capability options a handler needs live next to it in its module.
"""
