"""Custos: control, prove and account for every disclosure of benefits recipients' data."""

__version__ = "0.1.0"
