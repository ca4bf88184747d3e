"""Built-in dictionary for ``plcstack keys audit``: factory-default and common PLC network passwords.

Kept as Python data (not a data file) so it ships with every install. Factory defaults come from
open-plc-utils key/keys.h and slac/evse.c (``HomePlugAV``, ``HomePlugAV0123``) and vendor manuals;
the rest are common passwords people type when a tool insists on 12+ characters.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

#: Factory-default network passwords (NPW) -> where they come from.
DEFAULT_PASSWORDS: dict[str, str] = {
    "HomePlugAV": "Intellon/Qualcomm factory default NPW (open-plc-utils key/keys.h NMK1; SLAC PEV)",
    "HomePlugAV0123": "Qualcomm default NPW (open-plc-utils key/keys.h NMK2; SLAC EVSE, pyslac)",
    "HomePlug": "HomePlug 1.0 default network password",
}

_WORDS = r"""
HomePlugAV HomePlugAV0123 HomePlug HomePlugAV1 HomePlugAV2 HomePlugAV12 HomePlugAV123 HomePlugAV1234
HomePlugAV01234 HomePlugAV012345 HomePlugAV2.0 HomePlugAV2 HomePlugGP HomePlugGreenPHY HomePlugGreenPhy
HomePlugAV-1 HomePlug1.0 HomePlugAV_0123 HomePlugAV0123! HomePlugAV! Home-Plug-AV HomePlug-AV
homeplugav homeplugav0123 HOMEPLUGAV HOMEPLUGAV0123 homeplug HOMEPLUG HomePlug_AV HomePlug\x20AV
-HomePlugAV -HomePlugAV123 HomePlugAVDefault DefaultHomePlugAV
Qualcomm QualcommAtheros Atheros Intellon INT6000 INT6300 INT6400 INT7400 AR7400 QCA7000 QCA7005 QCA7006
QCA7420 QCA7450 QCA7500 QCA6410 qca7000 qca7420 Broadcom BCM60500 MStar Vertexcom Lumissil SPiDCOM
devolo devolodLAN dLAN dlan dLAN200 dLAN500 dLAN550 dLAN650 dLAN1200 MagicLAN magic devolomagic
TP-Link TPLink tplink tp-link TP-LINK tplinkplc Netgear NETGEAR netgear Zyxel ZyXEL D-Link DLink dlink
ASUS Asus Linksys Trendnet TRENDnet Edimax Tenda AVM FRITZ FRITZ!Powerline FritzPowerline Corinex
Comtrend Actiontec Sagemcom Technicolor Extollo Allnet ALLNET Solwise Aztech Mercury Strong
powerline Powerline PowerLine POWERLINE powerline123 Powerline123 PowerLine123 powerlinenet
PowerlineNetwork powerline-network plcnetwork PLCNetwork plc PLC plcplc plcplcplc plcpassword
PLCPassword plcstack openplc open-plc-utils plcutils PLCAV homeav HomeAV myhomeplug MyHomePlug
mynetwork MyNetwork mynetworkkey NetworkKey networkpassword NetworkPassword networkkey
ISO15118 iso15118 ISO15118-3 DIN70121 SLAC slac GreenPHY greenphy EVSE evse EVSE0123 PEV pev PEV0123
charger Charger charging chargepoint ChargePoint wallbox Wallbox Wallbox123 evcharger EVCharger
ccs CCS CCS2 combo Combo2 pyPLC pyplc OpenV2G EVerest everest Alpitronic alpitronic ABB abb Compleo
Tesla Supercharger supercharger Ionity IONITY Fastned EnBW Autel Kempower Tritium Delta Siemens
password Password PASSWORD password1 Password1 password12 password123 Password123 Password123!
passw0rd Passw0rd P@ssw0rd P@ssword p@ssw0rd passwordpassword mypassword MyPassword secret Secret
secretpassword supersecret topsecret admin Admin ADMIN administrator Administrator adminadmin
admin123 admin1234 root toor changeme ChangeMe changeit default Default DEFAULT guest user test
testtest test1234 testing testing123 letmein letmeinplease welcome Welcome welcome123 Welcome123
iloveyou sunshine princess football baseball dragon monkey master shadow superman batman trustno1
qwerty qwertyuiop qwertyuiopasdf qwertzuiop azertyuiop asdfghjkl asdfghjkl;' zxcvbnm 1qaz2wsx
1q2w3e4r 1q2w3e4r5t6y q1w2e3r4t5y6 qazwsxedc qazwsxedcrfv abcdefghijkl abcdefghijklm
abcdefghijklmnopqrstuvwxyz ABCDEFGHIJKL abc123 abc123456789 abcd1234 abcd12345678 aaaaaaaaaaaa
123456 1234567 12345678 123456789 1234567890 12345678901 123456789012 1234567890123 12345678901234
123456789abc 0123456789 01234567890123456789 000000000000 111111111111 121212121212 123123123123
987654321 9876543210 098765432109 112233445566 147258369 159753 11111111 00000000 666666 88888888
internet Internet wireless network Network homenetwork HomeNetwork homeplug123 home1234 myhome
MyHome house family office Office company Company business guestnetwork GuestNetwork
"""

DEFAULT_WORDLIST: tuple[str, ...] = tuple(
    dict.fromkeys(w.replace("\\x20", " ") for w in _WORDS.split() if w)
)

_SUFFIXES = ("", "1", "12", "123", "1234", "12345", "0123", "01", "00", "!", "1!", "2022", "2023", "2024", "2025")
#: At most this many candidates per word come out of :func:`mangle` (4 cases x the suffixes).
MANGLE_FACTOR = 4 * len(_SUFFIXES)


def mangle(words: Iterable[str | bytes]) -> Iterator[bytes]:
    """Each word as given, lower/upper/capitalised, each with common suffixes; duplicates removed."""
    seen: set[bytes] = set()
    for word in words:
        raw = word.encode("utf-8") if isinstance(word, str) else word
        for base in (raw, raw.lower(), raw.upper(), raw[:1].upper() + raw[1:].lower()):
            for suffix in _SUFFIXES:
                candidate = base + suffix.encode()
                if candidate not in seen:
                    seen.add(candidate)
                    yield candidate


def builtin_candidates(with_mangling: bool = True) -> list[bytes]:
    """The built-in dictionary as bytes, optionally expanded by :func:`mangle`."""
    if with_mangling:
        return list(mangle(DEFAULT_WORDLIST))
    return [w.encode("utf-8") for w in DEFAULT_WORDLIST]
