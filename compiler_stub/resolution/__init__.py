"""Resolution: classes against the compile set, workspace and library; order."""
