/**
 * The one import of the AWS SDK. `npm run build` replaces this file's output with an esbuild bundle of exactly these
 * exports (gulpfile.js, build:s3), so the installed package carries about 0.6 MB of S3 client instead of the 11 MB
 * of @aws-sdk and @smithy packages the SDK installs; @aws-sdk/client-s3 is therefore a devDependency. Import the
 * S3 client from here, never from the SDK, or the installed package would not find it.
 */
export {
	AbortMultipartUploadCommand,
	CompleteMultipartUploadCommand,
	CopyObjectCommand,
	CreateMultipartUploadCommand,
	DeleteObjectCommand,
	GetBucketLifecycleConfigurationCommand,
	GetObjectCommand,
	HeadBucketCommand,
	HeadObjectCommand,
	ListObjectsV2Command,
	PutBucketLifecycleConfigurationCommand,
	PutObjectCommand,
	S3Client,
	UploadPartCommand,
	UploadPartCopyCommand,
	type CompletedPart,
	type LifecycleRule,
} from '@aws-sdk/client-s3';
