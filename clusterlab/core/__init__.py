"""Site-wide pieces: health probes, the home page, the demo loader."""
