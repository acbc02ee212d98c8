"""_validation.as_csr: the sparse input checks ahead of the CSR kernels (issue 10), never
densifying and never changing the caller's matrix."""

import numpy as np
import pytest
import scipy.sparse as sp

from fastlogreg._validation import as_csr


def _matrix(kind=sp.csr_matrix, dtype=np.float64):
    dense = np.array([[0.0, 2.0, 0.0], [1.5, 0.0, -1.0], [0.0, 0.0, 0.0]], dtype=dtype)
    return kind(dense)


@pytest.mark.parametrize("kind", [sp.csr_matrix, sp.csr_array])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_csr_passes_through_without_copies(kind, dtype):
    X = _matrix(kind, dtype)
    out = as_csr(X)
    assert out.dtype == dtype
    assert np.shares_memory(out.data, X.data) and np.shares_memory(out.indices, X.indices)


@pytest.mark.parametrize("kind", [sp.csc_matrix, sp.coo_matrix, sp.csc_array, sp.lil_matrix])
def test_other_formats_are_converted_once(kind):
    X = _matrix(kind)
    out = as_csr(X)
    assert out.format == "csr"
    np.testing.assert_array_equal(out.toarray(), X.toarray())
    assert X.format == kind((1, 1)).format  # the caller's matrix is untouched


def test_integer_values_become_float64_in_a_new_matrix():
    X = sp.csr_matrix(np.array([[0, 3], [1, 0]], dtype=np.int64))
    out = as_csr(X)
    assert out.dtype == np.float64 and X.dtype == np.int64
    np.testing.assert_array_equal(out.toarray(), [[0.0, 3.0], [1.0, 0.0]])


def test_a_shape_whose_dense_form_needs_terabytes_is_checked_without_densifying():
    n = d = 10_000_000  # dense: 800 TB
    rows, cols = np.array([0, 5, n - 1]), np.array([d - 1, 3, 0])
    X = sp.coo_matrix((np.array([1.0, 2.0, 3.0]), (rows, cols)), shape=(n, d))
    out = as_csr(X)
    assert out.shape == (n, d) and out.nnz == 3


def test_non_finite_values_are_named_with_row_and_column():
    X = _matrix()
    X.data[2] = np.nan  # row 1, column 2
    with pytest.raises(ValueError, match=r"NaN in column 2 \(row 1\)"):
        as_csr(X)
    X.data[2] = np.inf
    with pytest.raises(ValueError, match=r"infinity in column 2 \(row 1\)"):
        as_csr(X)


def test_bad_structure_empty_shapes_and_dense_input_are_errors():
    X = _matrix()
    broken = sp.csr_matrix((X.data.copy(), X.indices.copy(), X.indptr.copy()), shape=X.shape)
    broken.indices[0] = 7  # beyond the 3 columns
    with pytest.raises(ValueError, match="not a valid CSR matrix"):
        as_csr(broken)
    with pytest.raises(ValueError, match="at least one row"):
        as_csr(sp.csr_matrix((0, 3)))
    with pytest.raises(TypeError, match=r"scipy\.sparse"):
        as_csr(np.eye(2))
    with pytest.raises(TypeError, match="numeric"):
        as_csr(sp.csr_matrix(np.eye(2, dtype=np.complex128)))


def test_unsorted_indices_duplicates_and_explicit_zeros_are_kept_as_they_are():
    X = sp.csr_matrix(
        (np.array([1.0, 0.0, 2.0, 3.0]), np.array([2, 0, 2, 1]), np.array([0, 3, 4])), shape=(2, 3)
    )
    out = as_csr(X)
    assert out is X or np.shares_memory(out.data, X.data)
    np.testing.assert_array_equal(out.toarray(), [[0.0, 0.0, 3.0], [0.0, 3.0, 0.0]])
