mod reset;
mod scoring;
