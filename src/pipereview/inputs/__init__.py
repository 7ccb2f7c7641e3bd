"""Inputs: files, warehouse tables and in-memory data read into checked canonical tables.

The path a deals file takes, in order (``api.load_inputs`` drives it):

1. ``read.load`` is the entry: ``files.py`` says what kind of file it is (CSV, TSV,
   Parquet, JSON, Excel); ``sniff.py`` reads a text file's head (encoding, separator,
   header names, two columns that mean the same).
2. The engine opens the file with its own reader (``engines/``); an Excel workbook or data
   already in Python goes in as Arrow (``files.py``), a warehouse table is read in place.
3. Canonical columns, as Ibis expressions: by name (``canonical.py``, columns matched by
   ``names.column_key``), or through a mapping (``mapping.py``, the TOML model whose
   shipped presets are ``presets/*.toml``; ``plan.py`` applies one table's mapping with the
   field transforms of ``transforms.py``; ``crm.py`` reads a CRM export's stage table,
   deals and reps in order). Every unusable value sets the row's ``_bad`` flag.
4. The canonical table is kept once and counted (``loaded.py``: a ``Loaded`` table, its
   findings for the data quality); a Parquet file is checked by the report's first scan.
5. Then, for the whole input: amounts in other currencies converted (``currency.py``), rep
   figures filled from the deals or a quota table (``figures.py``).

Only when a value is unusable, or the engine refuses the input, does Python look at rows:
the error path is ``locate/``, entered there once, which names the file, line, column and
value.
"""
