/**
 * The built-in synthetic world: seeded scenes of coloured shapes with captions, VQA questions,
 * NLVR2-style pair statements, an image-only set and a text corpus, in disjoint splits.
 */
package dev.vlmo.datasets.synthetic;
