"""The lepton-scalar vertex structures a model can carry (e->mu paper Eq. 1 and its variants).

* ``"chiral"``: h l_f-bar P_R l_i phi + h.c. (the e->mu paper, Eq. 1);
* ``"scalar"``: g l_f-bar l_i S (the leptophilic S of the NA64-mu paper, Eq. 2.3);
* ``"pseudoscalar"``: g l_f-bar i gamma5 l_i a (ALP-like).

Their squared amplitudes are in :mod:`leptoportal.xsec.amplitudes`.
"""

VERTICES = ("chiral", "scalar", "pseudoscalar")

__all__ = ["VERTICES"]
