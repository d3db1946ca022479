"""Production cross sections for l_i N -> l_f N phi: ETL, WW and IWW."""
