"""Checks `identity.traits.*`: the strict identity traits of a qualified identity."""
