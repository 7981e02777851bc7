"""The segmentation methods of the AMI table: superpixels, the superpixel-guided FCN, K-means and ISODATA,
and where their torch code runs."""
