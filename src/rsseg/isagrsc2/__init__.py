"""The ISAgrSC2 chain: Real-ESRGAN upscaling, iterative SAM, the CLIP-assisted farmland classifier and
the SAM+CLIP map, with the checkpoints they load."""
