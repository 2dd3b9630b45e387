"""profiles' tables for programs and enrollments."""
