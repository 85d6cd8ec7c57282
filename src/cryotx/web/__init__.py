"""cryotx.web"""
