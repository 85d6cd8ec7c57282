"""cryotx.session"""
