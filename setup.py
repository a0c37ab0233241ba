"""Packaging for swift3_multipart: the S3 Multipart Upload API for Swift."""
from setuptools import find_packages, setup

from swift3_multipart import __version__

setup(
    name='swift3_multipart',
    version=__version__,
    description='S3 Multipart Upload API for OpenStack Swift, as a drop-in '
                'replacement of the s3api proxy filter',
    long_description=open('README.md').read(),
    long_description_content_type='text/markdown',
    license='Apache-2.0',
    python_requires='>=3.9',
    packages=find_packages(exclude=['test', 'test.*']),
    install_requires=[
        # our controllers subclass s3api's: pin the series we test against
        'swift>=2.38.0,<2.39',
        'lxml',
    ],
    extras_require={
        'test': [
            'pytest',
            'coverage',
            'flake8',
            'boto3',
            'awscrt',
            'awscli',
        ],
    },
    entry_points={
        'paste.filter_factory': [
            's3api = swift3_multipart.middleware:filter_factory',
        ],
        'console_scripts': [
            'swift3-multipart-saio = swift3_multipart.saio.cli:main',
        ],
    },
    classifiers=[
        'Programming Language :: Python :: 3',
        'Environment :: OpenStack',
    ],
)
