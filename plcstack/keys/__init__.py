"""Key manager: NMK/DAK/NID derivation, key store, CM_ENCRYPTED_PAYLOAD crypto."""

from plcstack.keys.derive import dak_from_password, nid_from_nmk, nmk_from_password

__all__ = ["dak_from_password", "nid_from_nmk", "nmk_from_password"]
