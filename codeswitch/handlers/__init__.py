"""LSP handlers: one module per area, each translating LSP <-> plain data for one stage.

Every handler takes ``(ls, params)`` where ``ls`` is the :class:`codeswitch.lsp_server.CodeswitchServer`
(its shared state is ``ls.state``, a :class:`.state.State`) and is registered by one row of
``server.FEATURES``; the capability options a handler needs live next to it in its module. The
custom methods' params and results are typed in :mod:`.protocol`; requests that call models run
through :func:`.request.background_request`; app errors are mapped in :mod:`.errors`.
"""
