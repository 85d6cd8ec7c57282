"""cryotx.api"""
