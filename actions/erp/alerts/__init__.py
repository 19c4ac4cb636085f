"""Alert detectors: conditions in the ERP data worth telling someone about.

Service layer only (nothing here knows Rasa). Each detector module returns
`Candidate`s for one company; `run_detectors` stores the new ones.
"""

from actions.erp.alerts.base import Candidate, DetectorSettings
from actions.erp.alerts.runner import DETECTORS, CompanyRun, RunReport, run_detectors

__all__ = ["DETECTORS", "Candidate", "CompanyRun", "DetectorSettings", "RunReport", "run_detectors"]
