/**
 * Image decoding (JPEG, PNG, grayscale, CMYK, alpha, EXIF orientation) and the reference's seeded
 * train and eval transforms, producing normalised float CHW arrays.
 */
package dev.vlmo.datasets.image;
