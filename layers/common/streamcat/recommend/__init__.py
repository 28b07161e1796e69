"""Recommendations from the trained model: the artifact's format, loading it from S3 (and
noticing a newer one), and answering from memory. No numpy or scikit-learn here."""
