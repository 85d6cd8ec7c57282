"""cryotx.physics"""
