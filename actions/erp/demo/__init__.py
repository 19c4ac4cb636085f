"""Deterministic demo data for the ERP: catalogues, a day-by-day business
simulation and the bookkeeping that turns it into rows.

`actions.erp.seed` is the entry point; nothing here touches a database.
"""
