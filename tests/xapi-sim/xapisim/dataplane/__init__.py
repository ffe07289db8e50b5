"""The simulator's HTTP data plane (XVA /export and /import, /export_raw_vdi and
/import_raw_vdi with raw and VHD) and NBD (VDI.get_nbd_info with nbdkit)."""
