"""cryotx.interop"""
