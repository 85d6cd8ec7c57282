"""The segmented body: segment names, published per-segment constants and their mapping.

The whole-body model uses 13 segments. Left and right limbs are lumped into one segment
each (the model is bilaterally symmetric), the pelvis of JOS-3 is split into a front
(``abdomen``) and a rear (``lumbar``) sector, and the distal fifth of the thigh is a
separate ``knee`` segment so that knee skin can be probed.

Per-segment physiological constants are those of the 17-segment JOS-3 model
[Takahashi2021]_, which takes them from the 65-node model [Tanabe2002]_ and from
[Stolwijk1971]_. They are given here in JOS-3's own 17-segment order (head, neck, chest,
back, pelvis, left shoulder, left arm, left hand, right shoulder, right arm, right hand,
left thigh, left leg, left foot, right thigh, right leg, right foot) and mapped onto the
13 CryoTx segments by ``JOS3_TO_SEGMENT`` (extensive quantities are summed; intensive ones
are taken from the first contributing JOS-3 segment).

References
----------
.. [Takahashi2021] Y. Takahashi, A. Nomoto, S. Yoda, R. Hisayama, M. Ogata, Y. Ozeki,
   S. Tanabe, "Thermoregulation model JOS-3 with new open source code," Energy and
   Buildings, vol. 231, 110575, 2021. :doi:`10.1016/j.enbuild.2020.110575`
.. [Tanabe2002] S. Tanabe, K. Kobayashi, J. Nakano, Y. Ozeki, M. Konishi, "Evaluation of
   thermal comfort using combined multi-node thermoregulation (65MN) and radiation models
   and computational fluid dynamics (CFD)," Energy and Buildings, vol. 34, pp. 637-646,
   2002. :doi:`10.1016/S0378-7788(02)00014-2`
.. [Stolwijk1971] J. A. J. Stolwijk, "A mathematical model of physiological temperature
   regulation in man," NASA CR-1855, 1971.
.. [Winter2009] D. A. Winter, Biomechanics and Motor Control of Human Movement, 4th ed.,
   Wiley, 2009, Table 4.1 (segment mass fractions after Dempster 1955).
   :doi:`10.1002/9780470549148`
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "ANGLE_RAD",
    "BOUNDARY_LAYER_START_FRAC",
    "CORE_KIND",
    "CORE_RADIUS_FRAC",
    "JOS3_TO_SEGMENT",
    "MASS_FRAC",
    "N_SEGMENTS",
    "SEGMENTS",
    "SEGMENT_INDEX",
    "SKIN_SITES",
    "SPHERE",
    "UNITS",
    "VERTICAL_SPAN_FRAC",
    "jos3_extensive",
    "jos3_intensive",
]

SEGMENTS: tuple[str, ...] = (
    "head",
    "neck",
    "chest",
    "back",
    "abdomen",
    "lumbar",
    "upper_arm",
    "forearm",
    "hand",
    "thigh",
    "knee",
    "leg",
    "foot",
)
N_SEGMENTS = len(SEGMENTS)
SEGMENT_INDEX = {name: i for i, name in enumerate(SEGMENTS)}

#: Skin-probe site names accepted in scenarios, mapped to segments.
SKIN_SITES: dict[str, str] = {
    **{name: name for name in SEGMENTS},
    "thigh_anterior": "thigh",
    "calf": "leg",
    "upper_back": "back",
    "lower_back": "lumbar",
    "shoulder": "upper_arm",
    "elbow": "forearm",
    "wrist": "forearm",
    "ankle": "foot",
}

#: Head is treated as a sphere, every other segment as a cylinder (or cylinder sector).
SPHERE = np.array([name == "head" for name in SEGMENTS])

# Weights mapping the 17 JOS-3 segments onto the 13 CryoTx segments (rows: CryoTx).
# pelvis -> abdomen 1/2, lumbar 1/2; thigh -> thigh 4/5, knee 1/5 (CryoTx convention).
_J = [
    "head",
    "neck",
    "chest",
    "back",
    "pelvis",
    "lshoulder",
    "larm",
    "lhand",
    "rshoulder",
    "rarm",
    "rhand",
    "lthigh",
    "lleg",
    "lfoot",
    "rthigh",
    "rleg",
    "rfoot",
]
_MAP: dict[str, dict[str, float]] = {
    "head": {"head": 1.0},
    "neck": {"neck": 1.0},
    "chest": {"chest": 1.0},
    "back": {"back": 1.0},
    "abdomen": {"pelvis": 0.5},
    "lumbar": {"pelvis": 0.5},
    "upper_arm": {"lshoulder": 1.0, "rshoulder": 1.0},
    "forearm": {"larm": 1.0, "rarm": 1.0},
    "hand": {"lhand": 1.0, "rhand": 1.0},
    "thigh": {"lthigh": 0.8, "rthigh": 0.8},
    "knee": {"lthigh": 0.2, "rthigh": 0.2},
    "leg": {"lleg": 1.0, "rleg": 1.0},
    "foot": {"lfoot": 1.0, "rfoot": 1.0},
}
JOS3_TO_SEGMENT = np.zeros((N_SEGMENTS, 17))
for _row, _name in enumerate(SEGMENTS):
    for _jos, _weight in _MAP[_name].items():
        JOS3_TO_SEGMENT[_row, _J.index(_jos)] = _weight
_FIRST_JOS3 = np.array([int(np.flatnonzero(row)[0]) for row in JOS3_TO_SEGMENT])


def jos3_extensive(values: list[float] | np.ndarray) -> np.ndarray:
    """Sum a 17-segment JOS-3 quantity (area, flow, heat) onto the 13 segments."""
    return JOS3_TO_SEGMENT @ np.asarray(values, dtype=np.float64)


def jos3_intensive(values: list[float] | np.ndarray) -> np.ndarray:
    """Take a 17-segment JOS-3 coefficient (per-segment gain) for the 13 segments."""
    return np.asarray(values, dtype=np.float64)[_FIRST_JOS3]


# Segment mass as a fraction of body mass, Dempster via [Winter2009] Table 4.1:
# head+neck 0.081 (split head:neck in the ratio of their JOS-3 surface areas, 0.110:0.029,
# an assumption), thorax 0.216 (halved front/back), abdomen 0.139 + pelvis 0.142 (halved
# front/back), upper arm 0.028, forearm 0.016, hand 0.006, thigh 0.100 (4/5 thigh, 1/5
# knee), leg 0.0465, foot 0.0145, both sides.
MASS_FRAC = np.array(
    [
        0.081 * 0.110 / 0.139,  # head   [Winter2009] Table 4.1
        0.081 * 0.029 / 0.139,  # neck   [Winter2009] Table 4.1
        0.216 / 2,  # chest  [Winter2009] Table 4.1 (thorax)
        0.216 / 2,  # back   [Winter2009] Table 4.1 (thorax)
        (0.139 + 0.142) / 2,  # abdomen [Winter2009] Table 4.1 (abdomen + pelvis)
        (0.139 + 0.142) / 2,  # lumbar  [Winter2009] Table 4.1 (abdomen + pelvis)
        2 * 0.028,  # upper arms [Winter2009] Table 4.1
        2 * 0.016,  # forearms   [Winter2009] Table 4.1
        2 * 0.006,  # hands      [Winter2009] Table 4.1
        2 * 0.100 * 0.8,  # thighs [Winter2009] Table 4.1
        2 * 0.100 * 0.2,  # knees  [Winter2009] Table 4.1
        2 * 0.0465,  # legs  [Winter2009] Table 4.1
        2 * 0.0145,  # feet  [Winter2009] Table 4.1
    ]
)

#: What the innermost layer is made of, per segment (tissue names of the local engine).
CORE_KIND: tuple[str, ...] = (
    "brain",  # head
    "bone",  # neck (cervical spine)
    "viscera",  # chest
    "viscera",  # back
    "viscera",  # abdomen
    "viscera",  # lumbar
    "bone",
    "bone",
    "bone",
    "bone",
    "bone",
    "bone",
    "bone",
)

# Radius of the innermost layer as a fraction of the segment's equivalent radius.
# ASSUMPTION (no single anthropometric source found): limb bone cross-sections of about
# 4-10 % (femur/humerus shafts), a large visceral core in the trunk and brain in the head.
CORE_RADIUS_FRAC = np.array(
    [0.85, 0.35, 0.70, 0.70, 0.70, 0.70, 0.22, 0.25, 0.35, 0.20, 0.30, 0.25, 0.35]
)

#: Number of identical bodies of tissue a segment lumps (two limbs, one head...).
UNITS = np.array([1, 1, 1, 1, 1, 1, 2, 2, 2, 2, 2, 2, 2])
#: Angle of the cylinder sector each unit occupies [rad] (front/back trunk halves).
ANGLE_RAD = np.array([0.0, 2, 1, 1, 1, 1, 2, 2, 2, 2, 2, 2, 2]) * np.pi

# Vertical span of each segment, standing, arms hanging, as fractions of body height.
# Landmarks of Drillis & Contini via [Winter2009] Fig. 4.1: ankle 0.039, knee 0.285,
# hip 0.530, wrist 0.485, elbow 0.630, shoulder 0.818, chin 0.870, fingertip 0.377.
# The waist is put at elbow height and the knee segment at the distal fifth of the thigh
# (CryoTx conventions).
VERTICAL_SPAN_FRAC = np.array(
    [
        (0.870, 1.000),  # head
        (0.818, 0.870),  # neck
        (0.630, 0.818),  # chest
        (0.630, 0.818),  # back
        (0.530, 0.630),  # abdomen
        (0.530, 0.630),  # lumbar
        (0.630, 0.818),  # upper arm
        (0.485, 0.630),  # forearm
        (0.377, 0.485),  # hand
        (0.334, 0.530),  # thigh
        (0.285, 0.334),  # knee
        (0.039, 0.285),  # leg
        (0.000, 0.039),  # foot
    ]
)

# Where the natural-convection boundary layer of each segment starts, as a fraction of body
# height: a warm body in colder air carries one rising boundary layer from its lowest
# point, so the legs, trunk, neck and head share one starting at the floor, and the
# hanging arms one starting at the fingertips (0.377, Drillis & Contini via [Winter2009]
# Fig. 4.1).  ASSUMPTION (standing, arms hanging; no measurement of the boundary layer on
# a person in a cryochamber was found): the segment's natural coefficient is the
# Churchill-Chu average from this start to the segment's top, so short segments (knee,
# neck) no longer restart a thin, laminar layer of their own (docs/whole_body.md).
BOUNDARY_LAYER_START_FRAC = np.where(
    np.isin(np.array(SEGMENTS), ("upper_arm", "forearm", "hand")), 0.377, 0.0
)
