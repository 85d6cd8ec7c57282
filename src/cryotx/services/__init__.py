"""cryotx.services"""
