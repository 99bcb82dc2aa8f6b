/* Words a claims handler reads on the page for the record's enumerations. The JSON
 * spellings live in src/claim/; these are for people, so they may differ in form. Values
 * outside an enumeration (a newer record read by an older page writer) read "unknown". */
#include "report_internal.h"

const char *report_label_tristate(dc_tristate v) {
    switch (v) {
    case DC_TRI_YES: return "yes";
    case DC_TRI_NO: return "no";
    case DC_TRI_UNCLEAR: return "unclear";
    case DC_TRI_UNKNOWN: break;
    }
    return "not reported";
}

const char *report_label_action(dc_action v) {
    switch (v) {
    case DC_ACTION_GOING_STRAIGHT: return "going straight";
    case DC_ACTION_ACCELERATING: return "accelerating";
    case DC_ACTION_BRAKING: return "braking";
    case DC_ACTION_BRAKING_HARD: return "braking hard";
    case DC_ACTION_STOPPED: return "stopped";
    case DC_ACTION_TURNING_LEFT: return "turning left";
    case DC_ACTION_TURNING_RIGHT: return "turning right";
    case DC_ACTION_CHANGING_LANE: return "changing lane";
    case DC_ACTION_MERGING: return "merging";
    case DC_ACTION_REVERSING: return "reversing";
    case DC_ACTION_PARKED: return "parked";
    case DC_ACTION_NONE: return "no other party";
    case DC_ACTION_UNCLEAR: return "unclear";
    case DC_ACTION_UNKNOWN: break;
    }
    return "not reported";
}

const char *report_label_position(dc_position v) {
    switch (v) {
    case DC_POSITION_AHEAD: return "ahead";
    case DC_POSITION_BEHIND: return "behind";
    case DC_POSITION_LEFT: return "left";
    case DC_POSITION_RIGHT: return "right";
    case DC_POSITION_ONCOMING: return "oncoming";
    case DC_POSITION_CROSSING: return "crossing";
    case DC_POSITION_NONE: return "no other party";
    case DC_POSITION_UNCLEAR: return "unclear";
    case DC_POSITION_UNKNOWN: break;
    }
    return "not reported";
}

const char *report_label_signal(dc_signal v) {
    switch (v) {
    case DC_SIGNAL_NONE: return "no traffic light";
    case DC_SIGNAL_GREEN: return "green";
    case DC_SIGNAL_YELLOW: return "yellow";
    case DC_SIGNAL_RED: return "red";
    case DC_SIGNAL_UNCLEAR: return "unclear";
    case DC_SIGNAL_UNKNOWN: break;
    }
    return "not reported";
}

const char *report_label_actor(dc_actor v) {
    switch (v) {
    case DC_ACTOR_CAR: return "car";
    case DC_ACTOR_TRUCK: return "truck";
    case DC_ACTOR_BUS: return "bus";
    case DC_ACTOR_MOTORCYCLE: return "motorcycle";
    case DC_ACTOR_BICYCLE: return "bicycle";
    case DC_ACTOR_PEDESTRIAN: return "pedestrian";
    case DC_ACTOR_ANIMAL: return "animal";
    case DC_ACTOR_OTHER: return "other";
    case DC_ACTOR_UNKNOWN: break;
    }
    return "unknown";
}

const char *report_label_road(dc_road v) {
    switch (v) {
    case DC_ROAD_URBAN: return "urban";
    case DC_ROAD_RESIDENTIAL: return "residential";
    case DC_ROAD_HIGHWAY: return "highway";
    case DC_ROAD_RURAL: return "rural";
    case DC_ROAD_INTERSECTION: return "intersection";
    case DC_ROAD_PARKING_LOT: return "parking lot";
    case DC_ROAD_UNCLEAR: return "unclear";
    case DC_ROAD_UNKNOWN: break;
    }
    return "not reported";
}

const char *report_label_weather(dc_weather v) {
    switch (v) {
    case DC_WEATHER_CLEAR: return "clear";
    case DC_WEATHER_CLOUDY: return "cloudy";
    case DC_WEATHER_RAIN: return "rain";
    case DC_WEATHER_SNOW: return "snow";
    case DC_WEATHER_FOG: return "fog";
    case DC_WEATHER_UNCLEAR: return "unclear";
    case DC_WEATHER_UNKNOWN: break;
    }
    return "not reported";
}

const char *report_label_light(dc_light v) {
    switch (v) {
    case DC_LIGHT_DAY: return "day";
    case DC_LIGHT_DUSK: return "dusk";
    case DC_LIGHT_NIGHT: return "night";
    case DC_LIGHT_UNCLEAR: return "unclear";
    case DC_LIGHT_UNKNOWN: break;
    }
    return "not reported";
}

const char *report_label_visibility(dc_visibility v) {
    switch (v) {
    case DC_VISIBILITY_GOOD: return "good";
    case DC_VISIBILITY_REDUCED: return "reduced";
    case DC_VISIBILITY_POOR: return "poor";
    case DC_VISIBILITY_UNCLEAR: return "unclear";
    case DC_VISIBILITY_UNKNOWN: break;
    }
    return "not reported";
}

const char *report_label_hazard(dc_hazard_type v) {
    switch (v) {
    case DC_HAZARD_CUT_IN: return "cut-in";
    case DC_HAZARD_SUDDEN_BRAKING: return "sudden braking";
    case DC_HAZARD_CROSSING_PATH: return "crossing path";
    case DC_HAZARD_RED_LIGHT_VIOLATION: return "red-light violation";
    case DC_HAZARD_WRONG_WAY: return "wrong-way driver";
    case DC_HAZARD_TAILGATING: return "tailgating";
    case DC_HAZARD_PEDESTRIAN: return "pedestrian";
    case DC_HAZARD_CYCLIST: return "cyclist";
    case DC_HAZARD_OBSTACLE: return "obstacle";
    case DC_HAZARD_ANIMAL: return "animal";
    case DC_HAZARD_LOSS_OF_CONTROL: return "loss of control";
    case DC_HAZARD_OTHER: return "other";
    case DC_HAZARD_UNKNOWN: break;
    }
    return "unknown";
}

const char *report_label_scenario(dc_scenario v) {
    switch (v) {
    case DC_SCENARIO_REAR_END: return "rear-end";
    case DC_SCENARIO_HEAD_ON: return "head-on";
    case DC_SCENARIO_CROSSING: return "crossing traffic";
    case DC_SCENARIO_LEFT_TURN: return "left turn";
    case DC_SCENARIO_RIGHT_TURN: return "right turn";
    case DC_SCENARIO_LANE_CHANGE: return "lane change";
    case DC_SCENARIO_SIDE_SWIPE: return "side-swipe";
    case DC_SCENARIO_PARKING: return "parking";
    case DC_SCENARIO_PEDESTRIAN: return "pedestrian";
    case DC_SCENARIO_CYCLIST: return "cyclist";
    case DC_SCENARIO_SINGLE_VEHICLE: return "single vehicle";
    case DC_SCENARIO_OTHER: return "other";
    case DC_SCENARIO_NONE: return "no incident";
    case DC_SCENARIO_UNKNOWN: break;
    }
    return "unknown";
}

const char *report_label_role(dc_video_role v) {
    switch (v) {
    case DC_ROLE_FRONT: return "front camera";
    case DC_ROLE_REAR: return "rear camera";
    case DC_ROLE_INTERIOR: return "interior camera";
    case DC_ROLE_LEFT: return "left camera";
    case DC_ROLE_RIGHT: return "right camera";
    case DC_ROLE_UNKNOWN:
    case DC_ROLE_COUNT: break;
    }
    return "camera";
}

const char *report_label_role_short(dc_video_role v) {
    switch (v) {
    case DC_ROLE_FRONT: return "front";
    case DC_ROLE_REAR: return "rear";
    case DC_ROLE_INTERIOR: return "interior";
    case DC_ROLE_LEFT: return "left";
    case DC_ROLE_RIGHT: return "right";
    case DC_ROLE_UNKNOWN:
    case DC_ROLE_COUNT: break;
    }
    return "camera";
}
