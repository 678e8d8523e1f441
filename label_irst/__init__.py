"""Label-IRST: annotation of infrared small targets with PAMG and RPR-Net."""

__version__ = "0.1.0"
