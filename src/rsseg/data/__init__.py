"""Getting data ready: downloads, dataset sources, scene preparation, rasters, labels, patches."""
