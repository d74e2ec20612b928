package dev.vlmo.model;

/**
 * Row indices into the shared relative position bias table, laid out exactly as the reference
 * implementation lays them out.
 *
 * <p>With an image grid of W x W patches, {@code nrd = (2W-1)^2 + 3} and a text table sized for
 * {@code Lt = maxTextLenOfInitCkpt} tokens, the table's rows are:
 *
 * <ul>
 *   <li>{@code [0, (2W-1)^2)}: BEiT's 2D distances between patches, {@code (dh + W-1) * (2W-1) +
 *       (dw + W-1)} with {@code dh = h_query - h_key};
 *   <li>{@code nrd-3}: image [CLS] to patch, {@code nrd-2}: patch to image [CLS], {@code nrd-1}:
 *       image [CLS] to itself;
 *   <li>{@code nrd}: any text token to any image token, {@code nrd+1}: any image token to any text
 *       token;
 *   <li>{@code nrd + Lt + (j - i)}: text token i to text token j (both after [CLS]);
 *   <li>the last three rows: text [CLS] to token, token to text [CLS], text [CLS] to itself.
 * </ul>
 *
 * The table has {@code nrd + 2 Lt + 2} rows: 1126 for base at 224.
 */
public final class RelativePositionIndex {

    private final int grid;
    private final int initTextLen;

    /**
     * Creates the layout for a configuration.
     *
     * @param config the model configuration
     */
    public RelativePositionIndex(VlmoConfig config) {
        this(config.gridSize(), config.maxTextLenOfInitCkpt());
    }

    /**
     * Creates the layout for an image grid and a text length.
     *
     * @param grid patches along one side of the image (W)
     * @param initTextLen the text length the table is sized for
     */
    public RelativePositionIndex(int grid, int initTextLen) {
        this.grid = grid;
        this.initTextLen = initTextLen;
    }

    /**
     * Returns {@code (2W-1)^2 + 3}, the image part of the table.
     *
     * @return the number of image rows
     */
    public int imageRows() {
        return (2 * grid - 1) * (2 * grid - 1) + 3;
    }

    /**
     * Returns the number of rows of the whole table.
     *
     * @return rows
     */
    public int tableRows() {
        return imageRows() + 2 * initTextLen + 2;
    }

    /**
     * Returns the row for image token i attending to image token j (0 is the image [CLS]).
     *
     * @param i query position in [0, W^2]
     * @param j key position in [0, W^2]
     * @return the table row
     */
    public int image(int i, int j) {
        int nrd = imageRows();
        if (i == 0 && j == 0) {
            return nrd - 1;
        }
        if (i == 0) {
            return nrd - 3;
        }
        if (j == 0) {
            return nrd - 2;
        }
        int pi = i - 1;
        int pj = j - 1;
        int dh = pi / grid - pj / grid + grid - 1;
        int dw = pi % grid - pj % grid + grid - 1;
        return dh * (2 * grid - 1) + dw;
    }

    /**
     * Returns the row for text token i attending to text token j (0 is the text [CLS]).
     *
     * @param i query position
     * @param j key position
     * @return the table row
     */
    public int text(int i, int j) {
        int all = tableRows();
        if (i == 0 && j == 0) {
            return all - 1;
        }
        if (i == 0) {
            return all - 3;
        }
        if (j == 0) {
            return all - 2;
        }
        return imageRows() + initTextLen + (j - i);
    }

    /**
     * Returns the index matrix of an image-only sequence.
     *
     * @return {@code [W^2+1][W^2+1]} rows
     */
    public long[][] imageOnly() {
        int n = grid * grid + 1;
        long[][] out = new long[n][n];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < n; j++) {
                out[i][j] = image(i, j);
            }
        }
        return out;
    }

    /**
     * Returns the index matrix of a text-only sequence of t tokens.
     *
     * @param t tokens
     * @return {@code [t][t]} rows
     */
    public long[][] textOnly(int t) {
        long[][] out = new long[t][t];
        for (int i = 0; i < t; i++) {
            for (int j = 0; j < t; j++) {
                out[i][j] = text(i, j);
            }
        }
        return out;
    }

    /**
     * Returns the index matrix of a pair: t text tokens, then the image tokens.
     *
     * @param t text tokens
     * @return {@code [t+W^2+1][t+W^2+1]} rows
     */
    public long[][] pair(int t) {
        int n = grid * grid + 1;
        int nrd = imageRows();
        long[][] out = new long[t + n][t + n];
        for (int i = 0; i < t + n; i++) {
            for (int j = 0; j < t + n; j++) {
                boolean qi = i < t;
                boolean kj = j < t;
                if (qi && kj) {
                    out[i][j] = text(i, j);
                } else if (qi) {
                    out[i][j] = nrd;
                } else if (kj) {
                    out[i][j] = nrd + 1;
                } else {
                    out[i][j] = image(i - t, j - t);
                }
            }
        }
        return out;
    }
}
