package dev.vlmo.datasets.synthetic;

import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.geom.Ellipse2D;
import java.awt.geom.Path2D;
import java.awt.geom.Rectangle2D;
import java.awt.image.BufferedImage;

/** Draws scenes with Java2D at any resolution; the same scene looks the same at every size. */
public final class SceneRenderer {
    private SceneRenderer() {}

    /**
     * Renders a scene to a square RGB image.
     *
     * @param scene the scene
     * @param size the side in pixels, at least 8
     * @return a new {@code TYPE_INT_RGB} image
     */
    public static BufferedImage render(Scene scene, int size) {
        if (size < 8) {
            throw new IllegalArgumentException(
                    "image size " + size + " is too small to draw a scene; use 8 or more pixels");
        }
        BufferedImage image = new BufferedImage(size, size, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = image.createGraphics();
        try {
            g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
            g.setRenderingHint(RenderingHints.KEY_STROKE_CONTROL, RenderingHints.VALUE_STROKE_PURE);
            g.setColor(new Color(scene.background()));
            g.fillRect(0, 0, size, size);
            for (SceneObject o : scene.objects()) {
                g.setColor(new Color(o.rgb()));
                draw(g, o, size);
            }
        } finally {
            g.dispose();
        }
        return image;
    }

    private static void draw(Graphics2D g, SceneObject o, int size) {
        double cx = o.cx() * size;
        double cy = o.cy() * size;
        double r = o.size().radius() * size;
        switch (o.shape()) {
            case CIRCLE -> g.fill(new Ellipse2D.Double(cx - r, cy - r, 2 * r, 2 * r));
            case SQUARE -> {
                double h = r * 0.85;
                g.fill(new Rectangle2D.Double(cx - h, cy - h, 2 * h, 2 * h));
            }
            case TRIANGLE -> {
                Path2D.Double p = new Path2D.Double();
                p.moveTo(cx, cy - r);
                p.lineTo(cx + r, cy + r * 0.85);
                p.lineTo(cx - r, cy + r * 0.85);
                p.closePath();
                g.fill(p);
            }
            case CROSS -> {
                double w = r * 0.36;
                g.fill(new Rectangle2D.Double(cx - r, cy - w, 2 * r, 2 * w));
                g.fill(new Rectangle2D.Double(cx - w, cy - r, 2 * w, 2 * r));
            }
        }
    }
}
