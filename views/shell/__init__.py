"""The application shell: start-up, unlock, the main window, language, auto-lock, prefs."""
