"""The figures each recommender judges by: Google's where Google publishes them (see
the Compute Engine pages on idle VM, machine type and idle resource recommendations),
Nimbus's own for the recommenders Google does not have."""

from __future__ import annotations

import datetime as dt

# Idle VMs: "CPU utilization is less than 0.03 vCPUs for 97% of VM runtime" over the
# last 14 days; 1 day is the shortest observation period Google lets one configure.
# (Google also looks at network traffic, which Nimbus does not meter.)
IDLE_VM_VCPUS = 0.03
IDLE_VM_SHARE = 0.97
IDLE_VM_WINDOW = dt.timedelta(days=14)
IDLE_VM_MIN_OBSERVED = dt.timedelta(days=1)

# Machine type (right-sizing): Google looks at the last 8 days. The smaller type must
# hold the busiest sampled interval's CPU and the highest memory seen, with this much
# headroom.
MACHINE_TYPE_WINDOW = dt.timedelta(days=8)
MACHINE_TYPE_MIN_OBSERVED = dt.timedelta(days=1)
MACHINE_TYPE_TARGET_USE = 0.8

# Idle persistent disks: created and unattached for at least 15 days.
IDLE_DISK_AGE = dt.timedelta(days=15)

# Nimbus's own: an instance stopped this long still pays for its disks.
STOPPED_VM_AGE = dt.timedelta(days=15)
# Nimbus's own: snapshots older than this are worth a look.
OLD_SNAPSHOT_AGE = dt.timedelta(days=90)
# Nimbus's own: an empty bucket untouched this long; data unread this long belongs in a
# colder class (Google's guidance: Nearline for data read less than once a month,
# Coldline less than once a quarter, Archive less than once a year).
EMPTY_BUCKET_AGE = dt.timedelta(days=30)
COLDER_CLASS_AFTER = (
    (dt.timedelta(days=365), "ARCHIVE"),
    (dt.timedelta(days=90), "COLDLINE"),
    (dt.timedelta(days=30), "NEARLINE"),
)

# Samples older than this are dropped; every window above fits in it.
UTILIZATION_RETENTION = dt.timedelta(days=60)
# Recommendations a user acted on are kept this long after their last change.
HISTORY_RETENTION = dt.timedelta(days=90)
