"""Report intake: detect, parse, check and store documents; duplicates and quarantine."""

from app.intake.importer import Disagreement, ImportReport, Rejection, import_paths
from app.intake.model import Limits

__all__ = ["Disagreement", "ImportReport", "Limits", "Rejection", "import_paths"]
