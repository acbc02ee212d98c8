"""Reading training data from CSV files."""

from __future__ import annotations

import csv

import numpy as np


def read_csv(path, target):
    """A CSV file with a header row -> (X float64 (n, d), y labels (n,), feature names).

    The `target` column holds the labels (any two values: text or numbers; none may be empty);
    every other column must be numeric. Errors name the file, the line and the column."""
    with open(path, newline="") as f:
        reader = csv.reader(f)
        try:
            header = [name.strip() for name in next(reader)]
        except StopIteration:
            raise ValueError(f"{path} is empty; expected a header row and data rows") from None
        if target not in header:
            raise ValueError(
                f"{path} has no column {target!r}; its columns are {header}. Pass the label "
                "column's name with --target."
            )
        t = header.index(target)
        features = [name for i, name in enumerate(header) if i != t]
        rows, labels = [], []
        for line, record in enumerate(reader, start=2):
            if not record:
                continue
            if len(record) != len(header):
                raise ValueError(
                    f"{path}, line {line}: {len(record)} fields, but the header has {len(header)}"
                )
            label = record[t].strip()
            if not label:
                raise ValueError(
                    f"{path}, line {line}: no label in column {target!r}; fill in the label or "
                    "drop the row."
                )
            labels.append(label)
            values = record[:t] + record[t + 1 :]
            try:
                rows.append([float(v) for v in values])
            except ValueError:
                j = next(j for j, v in enumerate(values) if not _is_float(v))
                raise ValueError(
                    f"{path}, line {line}, column {features[j]!r}: {values[j]!r} is not a number; "
                    "fill in or drop missing values and encode text columns as numbers."
                ) from None
    if not rows:
        raise ValueError(f"{path} has a header but no data rows")
    return np.array(rows, dtype=np.float64), _labels(labels), features


def _is_float(text):
    try:
        float(text)
    except ValueError:
        return False
    return True


def _labels(values):
    """Numeric labels become numbers (integers where they all are), anything else stays text."""
    if all(_is_float(v) for v in values):
        y = np.array(values, dtype=np.float64)
        return y.astype(np.int64) if np.all(y == np.round(y)) else y
    return np.array(values)
