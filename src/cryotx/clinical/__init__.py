"""cryotx.clinical"""
