-- /ops: when the operators' copy was taken.
select exported_at from ops_meta
