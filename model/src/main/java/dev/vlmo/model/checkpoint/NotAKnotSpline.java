package dev.vlmo.model.checkpoint;

/**
 * The interpolating cubic spline with not-a-knot end conditions, as a linear map from the values at
 * the knots to the values at evaluation points.
 *
 * <p>This is the spline that FITPACK's {@code regrid} with {@code s = 0} and degree 3 fits through
 * a rectangular grid (its interior knots are {@code x[2] .. x[n-3]}), i.e. what scipy's {@code
 * interp2d(kind='cubic')} evaluates, one axis at a time. Evaluation points outside {@code [x[0],
 * x[n-1]]} are clamped to the ends, as FITPACK's evaluation does. Commons Math's spline
 * interpolators use natural end conditions and so give other values.
 */
final class NotAKnotSpline {

    private NotAKnotSpline() {}

    /**
     * Builds the matrix {@code M} with {@code M y} = the spline through {@code (x, y)} at {@code
     * t}.
     *
     * @param x the knots, strictly increasing, at least 4
     * @param t the evaluation points
     * @return {@code t.length} rows of {@code x.length} weights
     * @throws IllegalArgumentException if there are fewer than 4 knots or they do not increase
     */
    static double[][] matrix(double[] x, double[] t) {
        int n = x.length;
        if (n < 4) {
            throw new IllegalArgumentException(
                    "a not-a-knot cubic spline needs at least 4 knots, got " + n);
        }
        double[] h = new double[n - 1];
        for (int i = 0; i < n - 1; i++) {
            h[i] = x[i + 1] - x[i];
            if (!(h[i] > 0)) {
                throw new IllegalArgumentException("spline knots must increase strictly");
            }
        }
        // Unknowns: the second derivatives m = S y. Interior rows make the first derivative
        // continuous; the first and last rows make the third derivative continuous at x[1] and
        // x[n-2] (not-a-knot).
        double[][] a = new double[n][n];
        double[][] r = new double[n][n];
        for (int i = 1; i < n - 1; i++) {
            a[i][i - 1] = h[i - 1] / 6;
            a[i][i] = (h[i - 1] + h[i]) / 3;
            a[i][i + 1] = h[i] / 6;
            r[i][i - 1] = 1 / h[i - 1];
            r[i][i] = -1 / h[i - 1] - 1 / h[i];
            r[i][i + 1] = 1 / h[i];
        }
        a[0][0] = h[1];
        a[0][1] = -(h[0] + h[1]);
        a[0][2] = h[0];
        a[n - 1][n - 3] = h[n - 2];
        a[n - 1][n - 2] = -(h[n - 3] + h[n - 2]);
        a[n - 1][n - 1] = h[n - 3];
        double[][] s = solve(a, r);

        double[][] m = new double[t.length][n];
        for (int row = 0; row < t.length; row++) {
            double tv = Math.min(Math.max(t[row], x[0]), x[n - 1]);
            int k = 0;
            while (k < n - 2 && x[k + 1] <= tv) {
                k++;
            }
            double hk = h[k];
            double wa = (x[k + 1] - tv) / hk;
            double wb = (tv - x[k]) / hk;
            double ca = (wa * wa * wa - wa) * hk * hk / 6;
            double cb = (wb * wb * wb - wb) * hk * hk / 6;
            for (int j = 0; j < n; j++) {
                m[row][j] = ca * s[k][j] + cb * s[k + 1][j];
            }
            m[row][k] += wa;
            m[row][k + 1] += wb;
        }
        return m;
    }

    /** Solves {@code A X = B} by Gaussian elimination with partial pivoting (A is consumed). */
    private static double[][] solve(double[][] a, double[][] b) {
        int n = a.length;
        int cols = b[0].length;
        double[][] x = new double[n][];
        for (int i = 0; i < n; i++) {
            x[i] = b[i].clone();
        }
        for (int col = 0; col < n; col++) {
            int pivot = col;
            for (int i = col + 1; i < n; i++) {
                if (Math.abs(a[i][col]) > Math.abs(a[pivot][col])) {
                    pivot = i;
                }
            }
            if (a[pivot][col] == 0) {
                throw new IllegalArgumentException("spline system is singular");
            }
            double[] tmp = a[col];
            a[col] = a[pivot];
            a[pivot] = tmp;
            tmp = x[col];
            x[col] = x[pivot];
            x[pivot] = tmp;
            for (int i = col + 1; i < n; i++) {
                double f = a[i][col] / a[col][col];
                if (f == 0) {
                    continue;
                }
                for (int j = col; j < n; j++) {
                    a[i][j] -= f * a[col][j];
                }
                for (int j = 0; j < cols; j++) {
                    x[i][j] -= f * x[col][j];
                }
            }
        }
        for (int i = n - 1; i >= 0; i--) {
            for (int j = 0; j < cols; j++) {
                double v = x[i][j];
                for (int k = i + 1; k < n; k++) {
                    v -= a[i][k] * x[k][j];
                }
                x[i][j] = v / a[i][i];
            }
        }
        return x;
    }
}
