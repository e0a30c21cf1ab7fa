"""The browser viewer (``hyosan view``): a loopback HTTP server and one canvas page, shipped in the package.

:func:`hyosan.view.server.serve` serves result folders to the page (a per-session token guards every
request); :func:`hyosan.view.export.export_html` writes one self-contained HTML file that plays a result.
"""
