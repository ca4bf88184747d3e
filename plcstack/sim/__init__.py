"""Site simulator: many HomePlug nodes on a wired site (EV chargers above all).

Layers, each a module of small functions or plain dataclasses:

* :mod:`.carriers`, :mod:`.channel`, :mod:`.noise`, :mod:`.phy`, :mod:`.mac` -- physics, each model a
  referenced NumPy function (docs/sim-models.md);
* :mod:`.site` -- the TOML site description;
* :mod:`.topology` -- per ordered pair channel gain on the carrier grid from the site's cable tree;
* :mod:`.engine` -- AVLNs, CCo election, beacon loss, gateway selection and flapping over time;
* :mod:`.summary` -- ``summary.json`` (the per-node table, key metrics);
* :mod:`.advice_rules`, :mod:`.advice` -- the installation rules and the what-if plan (docs/sim-advice.md);
* :mod:`.sweep` -- parameter sweeps and what-if runs on a local pool or Dask, shared set-up;
* :mod:`.plots`, :mod:`.html` -- PNG plots and ``report.html`` (pure); :mod:`.report` writes the files.

Import the submodules directly; this package imports nothing heavy on purpose.
"""
