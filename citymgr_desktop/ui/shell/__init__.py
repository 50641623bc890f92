"""The application shell: the main window, its actions and settings, the typed window contract
features build on, worker threads, translations and icons.
"""
