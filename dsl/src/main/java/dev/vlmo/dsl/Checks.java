package dev.vlmo.dsl;

/** Argument checks whose messages name the value and the valid range. */
final class Checks {

    private Checks() {}

    static int positive(String what, int v) {
        if (v <= 0) {
            throw new IllegalArgumentException(what + " must be positive, got " + v);
        }
        return v;
    }

    static int nonNegative(String what, int v) {
        if (v < 0) {
            throw new IllegalArgumentException(what + " must be 0 or more, got " + v);
        }
        return v;
    }

    static double positive(String what, double v) {
        if (!(v > 0) || Double.isInfinite(v)) {
            throw new IllegalArgumentException(what + " must be a positive number, got " + v);
        }
        return v;
    }

    static double nonNegative(String what, double v) {
        if (!(v >= 0) || Double.isInfinite(v)) {
            throw new IllegalArgumentException(what + " must be 0 or more, got " + v);
        }
        return v;
    }

    static double fraction(String what, double v, boolean allowOne) {
        boolean ok = v >= 0 && (allowOne ? v <= 1 : v < 1);
        if (!ok) {
            throw new IllegalArgumentException(
                    what + " must be in [0, 1" + (allowOne ? "]" : ")") + ", got " + v);
        }
        return v;
    }

    static double open01(String what, double v) {
        if (!(v > 0 && v < 1)) {
            throw new IllegalArgumentException(what + " must be in (0, 1), got " + v);
        }
        return v;
    }
}
