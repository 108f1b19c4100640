package org.jqat.datasets;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Iterator;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;

/**
 * Decodes image files with ImageIO after checking their declared size, so a small file that
 * declares huge dimensions (a decompression bomb) is refused before any pixel buffer exists.
 */
public final class ImageFiles {
    /** Pillow's {@code MAX_IMAGE_PIXELS}, the limit torchvision users already live with. */
    public static final long MAX_PIXELS = 89_478_485L;

    private ImageFiles() {
    }

    /**
     * The decoded image.
     *
     * @throws DatasetException naming the file when no reader accepts it, its dimensions are not
     *                          positive or exceed {@link #MAX_PIXELS}, or decoding fails
     */
    public static BufferedImage read(Path file) {
        try (ImageInputStream in = ImageIO.createImageInputStream(file.toFile())) {
            if (in == null) {
                throw new DatasetException(file + ": cannot open image");
            }
            Iterator<ImageReader> readers = ImageIO.getImageReaders(in);
            if (!readers.hasNext()) {
                throw new DatasetException(file + ": cannot decode image: no reader accepts it (PNG, JPEG, GIF and BMP are supported)");
            }
            ImageReader reader = readers.next();
            try {
                reader.setInput(in, true, true);
                long w = reader.getWidth(0);
                long h = reader.getHeight(0);
                if (w < 1 || h < 1 || w * h > MAX_PIXELS) {
                    throw new DatasetException(file + ": image declares " + w + "x" + h + " pixels; at most " + MAX_PIXELS
                            + " pixels are decoded (a larger image is likely a decompression bomb)");
                }
                BufferedImage img = reader.read(0);
                if (img == null) {
                    throw new DatasetException(file + ": cannot decode image");
                }
                return img;
            } finally {
                reader.dispose();
            }
        } catch (IOException | RuntimeException e) {
            if (e instanceof DatasetException d) {
                throw d;
            }
            throw new DatasetException(file + ": cannot decode image (" + e.getClass().getSimpleName()
                    + (e.getMessage() == null ? "" : ": " + e.getMessage()) + ")", e);
        }
    }
}
