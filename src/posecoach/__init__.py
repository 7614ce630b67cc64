"""posecoach: an exercise coach for people with low back pain."""

import os as _os

# FFmpeg, OpenCV, TFLite and MediaPipe print their own complaints to stderr; we
# report problems in one line ourselves.  Must be set before cv2/mediapipe load.
_os.environ.setdefault("OPENCV_FFMPEG_LOGLEVEL", "-8")
_os.environ.setdefault("OPENCV_LOG_LEVEL", "OFF")
_os.environ.setdefault("GLOG_minloglevel", "2")
_os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

__version__ = "0.1.0"
