-- One database per service (DESIGN.md §2): each service owns its data.
CREATE DATABASE schedule;
CREATE DATABASE registration;
CREATE DATABASE notify;
