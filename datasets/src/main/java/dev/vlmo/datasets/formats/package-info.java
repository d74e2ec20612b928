/**
 * Readers of the real dataset formats: COCO/Flickr30k Karpathy JSON, the reference's Arrow IPC
 * files, WebDataset tar shards, caption TSV files, VQA v2, NLVR2, image folders and text corpora.
 * Every reader reports bad input to a {@link dev.vlmo.datasets.BadInputs}.
 */
package dev.vlmo.datasets.formats;
