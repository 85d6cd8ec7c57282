"""cryotx.store"""
