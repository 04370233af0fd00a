# JupyterLab for the browser test: loopback only, nothing fetched from the internet, the app object exposed
# to the page (window.jupyterapp) so the test can run commands such as "Run All Cells".
c = get_config()  # noqa: F821 - provided by Jupyter when it loads this file

c.ServerApp.ip = "127.0.0.1"
c.ServerApp.open_browser = False
c.ServerApp.terminals_enabled = False
c.LabApp.expose_app_in_browser = True
c.LabApp.news_url = None
c.LabApp.check_for_updates_class = "jupyterlab.NeverCheckForUpdate"
c.LanguageServerManager.autodetect = False
c.LabApp.extension_manager = "readonly"  # no extension catalogue look-ups
c.ServerApp.allow_root = True  # CI containers run as root; the server still listens on loopback only
